/**
 * The key format and hashing shared by every service and edge. A key reads {@code lk_<env>_<43 base62><6 base62
 * CRC32>}: the checksum lets anything reject a mistyped or truncated key without a lookup and lets secret scanners
 * recognise leaked keys. Only {@link io.latchkey.api.secret.KeyHash} values leave the process that saw a plaintext.
 */
package io.latchkey.api.secret;
