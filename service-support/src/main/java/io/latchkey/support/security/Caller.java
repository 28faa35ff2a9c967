package io.latchkey.support.security;

/**
 * The authenticated party behind a request. {@code actor} is what events record as "who": {@code operator} for the
 * operator token.
 */
public record Caller(String actor) {

    public static final Caller OPERATOR = new Caller("operator");
}
