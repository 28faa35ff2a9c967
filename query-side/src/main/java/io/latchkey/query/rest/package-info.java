/**
 * The query API: developers, keys and their history under {@code /v1}, guarded by the operator token or a
 * developer's admin key (which sees its own developer only; another's answers as nonexistent), and the
 * {@code POST /v1/validate} fallback for edges whose replica is not ready (with the usage token or the operator's).
 * No response carries a secret or a secret's hash, and the validation answer for an unknown, revoked or expired key
 * is the same bare {@code NOT_FOUND}.
 */
package io.latchkey.query.rest;
