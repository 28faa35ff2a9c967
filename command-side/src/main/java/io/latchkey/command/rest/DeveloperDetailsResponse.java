package io.latchkey.command.rest;

/** A developer account's details as changed, and the account's version. */
record DeveloperDetailsResponse(String developerId, String name, String email, long version) {
}
