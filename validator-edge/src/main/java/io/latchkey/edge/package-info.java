/**
 * The standalone edge service: a full member of the replica cluster that answers {@code GET /authorize} for gateways
 * (nginx {@code auth_request} and the like) from its local replica. Unknown, malformed, revoked and expired keys all
 * get the same 401; the edge reports healthy only once its replica is complete, and refuses to answer before that.
 */
package io.latchkey.edge;
