/**
 * One developer account per e-mail address. A claim on an address is written before the account's registration or
 * change is sent and checked against the event log only when it clashes, so a claim left by a change that never
 * happened (or an account that moved to another address) gives the address up; a projection of the events claims the
 * addresses of accounts made before claims existed.
 */
package io.latchkey.command.email;
