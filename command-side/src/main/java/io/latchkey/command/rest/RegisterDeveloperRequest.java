package io.latchkey.command.rest;

/** Body of {@code POST /v1/developers}. */
record RegisterDeveloperRequest(String name, String email) {
}
