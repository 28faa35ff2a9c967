/**
 * The embeddable key validator. {@link io.latchkey.validator.KeyValidator#builder()} is the one entry point; a
 * validator answers every call with a {@link io.latchkey.validator.Decision} from its local
 * {@link io.latchkey.validator.KeyReplica}, never from a remote call (only finding out whether an incomplete replica
 * has filled asks the cluster, at most every 10 ms). It fails closed: an unknown, malformed, revoked,
 * expired or superseded key is never {@code VALID}. A replica that is incomplete, or further behind the event log than
 * the validator's bound, can still answer, so callers check {@link io.latchkey.validator.KeyValidator#isCurrent()}
 * before trusting a denial or an admission.
 */
package io.latchkey.validator;
