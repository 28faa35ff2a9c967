package io.latchkey.api;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A permission: an access level, optionally qualified by a resource ({@code read}, {@code orders:write}).
 * Levels nest: admin includes write includes read. An unqualified scope covers every resource; a qualified one
 * covers only its resource.
 */
public record Scope(String resource, Access access) {

    public enum Access {
        READ, WRITE, ADMIN;

        private final String label = name().toLowerCase(java.util.Locale.ROOT);

        String label() {
            return label;
        }
    }

    private static final Access[] ACCESSES = Access.values();

    private static final Pattern RESOURCE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    public Scope {
        Objects.requireNonNull(access, "access");
        if (resource != null && !RESOURCE.matcher(resource).matches()) {
            throw new IllegalArgumentException("invalid scope resource");
        }
    }

    /**
     * Whether a requested scope asks for none: null, or only spaces and tabs (HTTP's own blanks). Not
     * {@code isBlank}, which also takes control characters such as U+001C for blanks: a scope of those is refused by
     * {@link #parse}, never taken for none.
     */
    public static boolean asksNone(String requested) {
        if (requested == null) {
            return true;
        }
        for (int i = 0; i < requested.length(); i++) {
            char c = requested.charAt(i);
            if (c != ' ' && c != '\t') {
                return false;
            }
        }
        return true;
    }

    /** Parses {@code read|write|admin} or {@code <resource>:<read|write|admin>}. */
    public static Scope parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 80) {
            throw new IllegalArgumentException("unknown scope");
        }
        int colon = text.indexOf(':');
        String resource = colon < 0 ? null : text.substring(0, colon);
        Access access = accessAt(text, colon + 1);
        if (access == null) {
            // The input is not echoed: a key pasted into the wrong field would end up in an error message.
            throw new IllegalArgumentException(
                    "unknown scope: expected read, write, admin or <resource>:<read|write|admin>");
        }
        return new Scope(resource, access);
    }

    /** Parses, deduplicates and sorts scopes into their canonical event form; at least one is required. */
    public static List<String> canonical(Collection<String> scopes) {
        if (scopes == null || scopes.isEmpty()) {
            throw new IllegalArgumentException("at least one scope is required");
        }
        TreeSet<String> result = new TreeSet<>();
        for (String scope : scopes) {
            result.add(parse(scope).toString());
        }
        return List.copyOf(result);
    }

    /** True when holding this scope satisfies {@code required}. */
    public boolean grants(Scope required) {
        return access.compareTo(required.access) >= 0
                && (resource == null || resource.equals(required.resource));
    }

    /**
     * True when any of {@code held} (canonical strings) satisfies {@code required}. Runs on every validation, so it
     * reads the strings in place instead of parsing them; anything not canonical grants nothing.
     */
    public static boolean anyGrants(Collection<String> held, Scope required) {
        for (String scope : held) {
            int colon = scope.indexOf(':');
            Access access = accessAt(scope, colon + 1);
            if (access != null && access.compareTo(required.access) >= 0
                    && (colon < 0 || required.resource != null && required.resource.length() == colon
                    && scope.startsWith(required.resource))) {
                return true;
            }
        }
        return false;
    }

    private static Access accessAt(String scope, int from) {
        for (Access access : ACCESSES) {
            String label = access.label;
            if (scope.length() - from == label.length() && scope.startsWith(label, from)) {
                return access;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return resource == null ? access.label() : resource + ":" + access.label();
    }
}
