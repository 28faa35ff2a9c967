package io.latchkey.command.caching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.axonframework.common.caching.Cache;
import org.junit.jupiter.api.Test;

class LruCacheTest {

    @Test
    void theLeastRecentlyUsedEntryGoesFirstAndListenersHearOfIt() {
        LruCache cache = new LruCache(2);
        List<String> heard = new ArrayList<>();
        cache.registerCacheEntryListener(new Cache.EntryListenerAdapter() {
            @Override
            public void onEntryExpired(Object key) {
                heard.add("expired " + key);
            }

            @Override
            public void onEntryCreated(Object key, Object value) {
                heard.add("created " + key);
            }
        });
        cache.put("a", 1);
        cache.put("b", 2);
        assertThat((Integer) cache.get("a")).isEqualTo(1);
        cache.put("c", 3);

        assertThat(cache.containsKey("b")).as("least recently used").isFalse();
        assertThat(cache.containsKey("a")).isTrue();
        assertThat(cache.containsKey("c")).isTrue();
        assertThat(cache.size()).isEqualTo(2);
        assertThat(heard).containsExactly("created a", "created b", "expired b", "created c");
    }

    @Test
    void mapOperationsBehaveAsAxonExpects() {
        LruCache cache = new LruCache(10);
        assertThat(cache.putIfAbsent("a", 1)).isTrue();
        assertThat(cache.putIfAbsent("a", 2)).isFalse();
        assertThat(cache.<Integer>computeIfAbsent("a", () -> 3)).isEqualTo(1);
        assertThat(cache.<Integer>computeIfAbsent("b", () -> 4)).isEqualTo(4);
        cache.<Integer>computeIfPresent("b", value -> value + 1);
        cache.<Integer>computeIfPresent("z", value -> value + 1);
        assertThat((Integer) cache.get("b")).isEqualTo(5);
        assertThat(cache.containsKey("z")).isFalse();
        assertThat(cache.remove("a")).isTrue();
        assertThat(cache.remove("a")).isFalse();
        cache.removeAll();
        assertThat(cache.size()).isZero();
        assertThatThrownBy(() -> new LruCache(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
