/**
 * Key authentication for any Jakarta Servlet application: {@link io.latchkey.validator.servlet.KeyAuthenticationFilter}
 * decides every request from the local replica and answers 400/401/403/429/503 itself, exactly as the edge does; an
 * admitted request carries its {@link io.latchkey.validator.Decision} as a request attribute.
 */
package io.latchkey.validator.servlet;
