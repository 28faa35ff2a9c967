/**
 * The public, versioned event contract of Latchkey and the value types it uses. Events are the audit log:
 * they are never renamed and no field is ever repurposed; changes go through upcasters. No event carries
 * a key's plaintext, only its hash and a display hint.
 */
package io.latchkey.api;
