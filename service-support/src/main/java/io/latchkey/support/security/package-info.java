/**
 * Who may call the management and query APIs. Every {@code /v1} request outside the public paths must present the
 * operator token or a developer's key with the {@code admin} scope as a bearer credential; the result is a
 * {@link io.latchkey.support.security.Caller} that the request carries into command metadata, with the tenant a
 * developer is confined to. Credentials are compared in constant time (the token) or by hash (keys) and never logged.
 */
package io.latchkey.support.security;
