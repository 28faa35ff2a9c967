/**
 * Commands and the aggregates that decide them. Aggregates are deterministic (time and new secrets arrive in the
 * command) and change state only in event-sourcing handlers. A refused command throws {@link
 * io.latchkey.command.RuleViolation} with a stable code; no command or event ever carries a key's plaintext.
 */
package io.latchkey.command;
