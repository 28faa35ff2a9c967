/**
 * The standalone edge service: a full member of the replica cluster that answers gateways from its local replica,
 * nginx {@code auth_request} and the like at {@code GET /authorize}, Envoy's {@code ext_authz} under
 * {@code /ext-authz}. Unknown, malformed, revoked and expired keys all get the same 401; the edge reports healthy
 * only once its replica is complete, and refuses to answer before that.
 */
package io.latchkey.edge;
