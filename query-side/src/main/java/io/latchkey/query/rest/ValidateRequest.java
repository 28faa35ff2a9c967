package io.latchkey.query.rest;

/** A key to check and, optionally, the scope it must grant. */
record ValidateRequest(String key, String scope) {

    /** Spring MVC logs what it reads (at debug and trace): never the key. */
    @Override
    public String toString() {
        return "ValidateRequest[key=" + (key == null ? "null" : "<" + key.length() + " characters>") + ", scope="
                + (scope == null ? "null" : "<" + scope.length() + " characters>") + "]";
    }
}
