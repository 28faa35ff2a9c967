/**
 * The expiry schedule: a tracking projection of key expiries and a periodic sweep that records each due expiry as an
 * {@code ApiKeyExpiredEvent}. Validators check expiry against their own clocks; this only puts the fact into the
 * audit log, and because the schedule lives in MongoDB it survives restarts.
 */
package io.latchkey.command.expiry;
