/**
 * Spring Boot auto-configuration for embedding the validator: with this module on the classpath a service becomes a
 * member of the replica cluster ({@code latchkey.hazelcast.*}) and gets a {@link io.latchkey.validator.KeyValidator}
 * bean that hashes with {@code latchkey.pepper}.
 */
package io.latchkey.validator.spring;
