package io.latchkey.validator.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), which its limiter has the link load ahead ({@link
 * RedisLink#preload}). A {@code NOSCRIPT} answer (after {@code SCRIPT FLUSH}, or a load that failed) is followed by
 * one {@code EVAL}, which loads the script again.
 */
final class LuaScript {

    private final String source;
    private final String sha;

    private LuaScript(String source) {
        this.source = source;
        this.sha = sha1(source);
    }

    /**
     * The functions defined in {@code libraries} (resources next to this class), then {@code main}, which calls them:
     * scripts that share a step share its Lua.
     */
    static LuaScript of(String main, String... libraries) {
        StringBuilder source = new StringBuilder();
        for (String library : libraries) {
            try (InputStream in = LuaScript.class.getResourceAsStream(library)) {
                source.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new LuaScript(source.append(main).toString());
    }

    /** Runs the script for a list of integers; empty when Redis did not answer within the link's budget. */
    Optional<List<Long>> run(RedisLink link, String[] keys, String... args) {
        return link.await(() -> runAsync(link, keys, args));
    }

    /** As {@link #run}, without waiting: see {@link RedisLink#callAsync(Function)}. */
    CompletableFuture<Optional<List<Long>>> runAsync(RedisLink link, String[] keys, String... args) {
        return runAsync(link, keys, null, args);
    }

    /**
     * As {@link #runAsync(RedisLink, String[], String...)}, handing a reply that comes after the budget ran out to
     * {@code late} ({@link RedisLink#callAsync(Function, Consumer)}); null for none.
     */
    CompletableFuture<Optional<List<Long>>> runAsync(RedisLink link, String[] keys, Consumer<List<Long>> late,
                                                     String... args) {
        return link.callAsync(redis -> redis.<List<Long>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
                .exceptionallyCompose(failure -> RedisLink.unwrap(failure) instanceof RedisNoScriptException
                        ? redis.<List<Long>>eval(source, ScriptOutputType.MULTI, keys, args)
                        : CompletableFuture.failedFuture(failure)), late);
    }

    /** Has Redis learn the script, without running it. */
    CompletionStage<String> load(RedisAsyncCommands<String, String> redis) {
        return redis.scriptLoad(source);
    }

    String sha() {
        return sha;
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
