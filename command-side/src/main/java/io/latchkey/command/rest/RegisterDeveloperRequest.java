package io.latchkey.command.rest;

/** Body of {@code POST /v1/developers} and of {@code PUT /v1/developers/{developerId}}. */
record RegisterDeveloperRequest(String name, String email) {

    /** Spring MVC logs what it reads (at debug and trace): never the text, which may hold a pasted key. */
    @Override
    public String toString() {
        return "RegisterDeveloperRequest[name=" + Requests.length(name) + ", email=" + Requests.length(email) + "]";
    }
}
