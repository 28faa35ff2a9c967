/**
 * The command API over HTTP. Controllers check the request, generate ids and secrets, and send one command with the
 * caller's audit metadata; a key's plaintext leaves only in the create and rotate responses. Errors are problem
 * details: 400 unreadable, 404 unknown id, 409 revoked key, 412 stale {@code If-Match}, 422 invalid value, 429 a
 * developer's admin keys past their allowance of changes ({@link io.latchkey.command.rest.ChangeAllowance}).
 */
package io.latchkey.command.rest;
