package io.latchkey.validator.spring;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * The {@code latchkey.filter} settings, checked before the filter is made: a filter that fails open serves every
 * request it should have refused, and nothing says so. Read with Spring Boot's binder, so that a list in YAML, a
 * comma-separated value and an environment variable all count.
 */
final class FilterSettings {

    private static final String PREFIX = "latchkey.filter";
    private static final String URL_PATTERNS = PREFIX + ".url-patterns";
    private static final String USAGE_COMMAND_URL = "latchkey.usage.command-url";
    /** The properties the filter takes, in the form relaxed binding compares them in. */
    private static final Set<String> KNOWN = Set.of("urlpatterns", "resource", "order", "passcorspreflights");

    private FilterSettings() {
    }

    /** Whether {@code url-patterns} is set, in any form: then the filter is made. */
    static boolean configured(Binder binder) {
        return binder.bind(URL_PATTERNS, String[].class).isBound();
    }

    /** The patterns set, checked; empty when none are: then no filter is made. */
    static Optional<String[]> urlPatterns(Binder binder) {
        BindResult<String[]> patterns = binder.bind(URL_PATTERNS, String[].class);
        return patterns.isBound() ? Optional.of(checked(patterns.get())) : Optional.empty();
    }

    /**
     * Throws for a {@code latchkey.filter} property this release does not know (a misspelt {@code url-pattern}),
     * settings without {@code url-patterns}, or patterns that would not protect what they name.
     */
    static void check(Binder binder) {
        Map<String, Object> settings = binder.bind(PREFIX, Bindable.mapOf(String.class, Object.class))
                .orElse(Map.of());
        Set<String> unknown = new TreeSet<>();
        for (String name : names("", settings)) {
            if (!KNOWN.contains(name.replace("-", "").replace(".", "").toLowerCase(Locale.ROOT))) {
                unknown.add(PREFIX + "." + name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalStateException("Unknown properties " + unknown + ": the filter takes url-patterns, "
                    + "resource, order and pass-cors-preflights, and protects nothing until url-patterns is set.");
        }
        if (urlPatterns(binder).isEmpty() && !settings.isEmpty()) {
            throw new IllegalStateException(PREFIX + " " + new TreeSet<>(settings.keySet()) + " set without "
                    + URL_PATTERNS + ": no path would need a key. Set the paths to protect, such as /api/*.");
        }
    }

    /**
     * Throws for {@code latchkey.usage.command-url} (set in any form, empty too) without {@code url-patterns}: usage
     * reporting counts the filter's answers, so without a filter it would report nothing, and nothing would say so.
     */
    static void checkUsage(Binder binder) {
        if (binder.bind(USAGE_COMMAND_URL, String.class).isBound() && !configured(binder)) {
            throw new IllegalStateException(USAGE_COMMAND_URL + " set without " + URL_PATTERNS + ": usage reporting "
                    + "counts the filter's answers, and no filter is made without url-patterns. Set the paths to "
                    + "protect, such as /api/*, or remove " + USAGE_COMMAND_URL + ".");
        }
    }

    /**
     * The names of the settings, their parts joined by dots: an environment variable's ({@code
     * LATCHKEY_FILTER_URL_PATTERNS}) binds as nested maps ({@code url} → {@code patterns}), while a list's indexes
     * ({@code url-patterns[0]}) are a value's, not names.
     */
    private static Set<String> names(String prefix, Map<?, ?> settings) {
        Set<String> names = new TreeSet<>();
        settings.forEach((key, value) -> {
            String name = prefix + key;
            if (value instanceof Map<?, ?> nested && !nested.isEmpty()
                    && nested.keySet().stream().noneMatch(part -> String.valueOf(part).matches("[0-9]+"))) {
                names.addAll(names(name + ".", nested));
            } else {
                names.add(name);
            }
        });
        return names;
    }

    /**
     * As the servlet container maps filters: {@code /path/*} for a path and everything under it ({@code /*}: every
     * path), an exact path, or {@code *.ext}. Any other {@code *} (Spring's {@code /orders/**}) the container takes as
     * that exact text, and {@code /} (every path for a servlet) as the root alone, protecting nothing else: refused.
     */
    private static String[] checked(String[] patterns) {
        List<String> given = Arrays.stream(patterns).map(String::strip).filter(pattern -> !pattern.isEmpty()).toList();
        if (given.isEmpty()) {
            throw new IllegalStateException(URL_PATTERNS + " is empty: no path would need a key. Set the paths to "
                    + "protect, such as /api/*.");
        }
        for (String pattern : given) {
            if (!servletPattern(pattern)) {
                throw new IllegalStateException(URL_PATTERNS + ": '" + pattern + "' is not a servlet URL pattern, and "
                        + "the container would protect that exact path alone. Use /path/* for a path and everything "
                        + "under it (/* for every path), an exact path other than /, or *.extension.");
            }
        }
        return given.toArray(String[]::new);
    }

    private static boolean servletPattern(String pattern) {
        if (pattern.startsWith("*.")) {
            return pattern.length() > 2 && pattern.indexOf('*', 1) < 0 && pattern.indexOf('/') < 0;
        }
        int star = pattern.indexOf('*');
        return pattern.startsWith("/") && !pattern.equals("/")
                && (star < 0 || star == pattern.length() - 1 && pattern.endsWith("/*"));
    }
}
