/**
 * Who may call the management and query APIs. Every {@code /v1} request outside the public paths must present the
 * operator token as a bearer credential; the result is a {@link io.latchkey.support.security.Caller} that the
 * request carries into command metadata. Credentials are compared in constant time and never logged.
 */
package io.latchkey.support.security;
