package io.latchkey.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScopeTest {

    @ParameterizedTest
    @CsvSource({
            "admin, read, true", "admin, write, true", "admin, admin, true",
            "write, read, true", "write, write, true", "write, admin, false",
            "read, read, true", "read, write, false",
            "read, orders:read, true", "orders:read, orders:read, true", "orders:admin, orders:write, true",
            "orders:read, read, false", "orders:read, invoices:read, false", "orders:read, orders:write, false"})
    void levelsNestAndResourcesQualify(String held, String required, boolean granted) {
        assertThat(Scope.parse(held).grants(Scope.parse(required))).isEqualTo(granted);
        assertThat(Scope.anyGrants(List.of(held), Scope.parse(required))).as("read in place").isEqualTo(granted);
    }

    @Test
    void heldScopesReadInPlaceAgreeWithParsedOnesForEveryPair() {
        List<String> scopes = List.of("read", "write", "admin", "orders:read", "orders:write", "orders:admin",
                "order:admin", "ordersx:admin", "o:read");
        for (String held : scopes) {
            for (String required : scopes) {
                assertThat(Scope.anyGrants(List.of(held), Scope.parse(required))).as(held + " for " + required)
                        .isEqualTo(Scope.parse(held).grants(Scope.parse(required)));
            }
        }
        assertThat(Scope.anyGrants(List.of("READ", "orders:", "orders:reader"), Scope.parse("read")))
                .as("not canonical: grants nothing").isFalse();
        assertThat(Scope.anyGrants(List.of("orders:read", "write"), Scope.parse("invoices:write"))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "delete", "READ", "orders:", ":read", "Orders:read", "orders:read:extra", "a b:read"})
    void unknownScopesAreRefused(String text) {
        assertThatThrownBy(() -> Scope.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyNothingOrSpacesAndTabsAskForNoScope() {
        assertThat(Scope.asksNone(null)).isTrue();
        assertThat(Scope.asksNone("")).isTrue();
        assertThat(Scope.asksNone(" \t ")).isTrue();
        assertThat(Scope.asksNone("\u001c\t\u001f")).isFalse();
        assertThat(Scope.asksNone(" read")).isFalse();
    }

    @Test
    void canonicalFormIsSortedAndDeduplicated() {
        assertThat(Scope.canonical(List.of("write", "orders:read", "write"))).containsExactly("orders:read", "write");
        assertThatThrownBy(() -> Scope.canonical(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
