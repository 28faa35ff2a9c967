package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.PathWithEscapedSlashesAction;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/gateways/envoy.yaml} read into Envoy's own v3 protos, as Envoy reads it: an unknown field, a misspelt
 * enum value or a {@code typed_config} of an unknown type fails the parse. Then the settings the edge's contract
 * depends on. (No Envoy binary is available here to run {@code envoy --mode validate}.)
 */
class EnvoyConfigTest {

    private static final Path CONFIG = Path.of(System.getProperty("latchkey.docsDir", "../docs"), "gateways",
            "envoy.yaml");
    private static final String EXT_AUTHZ = "latchkey";

    private static Bootstrap bootstrap;
    private static HttpConnectionManager manager;
    private static ExtAuthz extAuthz;

    @BeforeAll
    static void parse() throws IOException {
        String json = new ObjectMapper().writeValueAsString(new ObjectMapper(new YAMLFactory()).readTree(CONFIG.toFile()));
        JsonFormat.TypeRegistry types = JsonFormat.TypeRegistry.newBuilder()
                .add(HttpConnectionManager.getDescriptor())
                .add(ExtAuthz.getDescriptor())
                .add(ExtAuthzPerRoute.getDescriptor())
                .add(Router.getDescriptor())
                .build();
        Bootstrap.Builder builder = Bootstrap.newBuilder();
        JsonFormat.parser().usingTypeRegistry(types).merge(json, builder);
        bootstrap = builder.build();
        manager = unpack(bootstrap.getStaticResources().getListeners(0).getFilterChains(0).getFilters(0)
                .getTypedConfig(), HttpConnectionManager.class);
        extAuthz = unpack(filter(EXT_AUTHZ).getTypedConfig(), ExtAuthz.class);
    }

    private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) {
        try {
            return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("typed_config is not a " + type.getSimpleName(), e);
        }
    }

    private static HttpFilter filter(String name) {
        return manager.getHttpFiltersList().stream().filter(f -> f.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no http filter named " + name));
    }

    /** Header names a matcher list admits; only exact matches, so that no pattern can admit more than it names. */
    private static Set<String> exactNames(ListStringMatcher matchers) {
        assertThat(matchers.getPatternsList()).allSatisfy(pattern -> {
            assertThat(pattern.getMatchPatternCase()).isEqualTo(StringMatcher.MatchPatternCase.EXACT);
            assertThat(pattern.getExact()).isLowerCase();
        });
        return matchers.getPatternsList().stream().map(StringMatcher::getExact).collect(Collectors.toSet());
    }

    private static List<Route> routes() {
        return manager.getRouteConfig().getVirtualHostsList().stream().flatMap(host -> host.getRoutesList().stream())
                .toList();
    }

    private static boolean extAuthzDisabledOn(Route route) {
        Any perRoute = route.getTypedPerFilterConfigMap().get(EXT_AUTHZ);
        return perRoute != null && unpack(perRoute, ExtAuthzPerRoute.class).getDisabled();
    }

    @Test
    void extAuthzRunsBeforeTheRouterAndOnEveryRouteThatDoesNotOptOut() {
        List<String> names = manager.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
        assertThat(names).last().isEqualTo("envoy.filters.http.router");
        assertThat(names.indexOf(EXT_AUTHZ)).isLessThan(names.indexOf("envoy.filters.http.router")).isNotNegative();
        unpack(filter("envoy.filters.http.router").getTypedConfig(), Router.class);
        assertThat(filter(EXT_AUTHZ).getDisabled()).as("enabled unless a route disables it").isFalse();
        assertThat(routes()).filteredOn(route -> !extAuthzDisabledOn(route)).isNotEmpty();
    }

    @Test
    void anEdgeThatCannotAnswerIsA503NeverAnAllow() {
        assertThat(extAuthz.getFailureModeAllow()).isFalse();
        assertThat(extAuthz.getStatusOnError().getCode()).isEqualTo(StatusCode.ServiceUnavailable);
        assertThat(extAuthz.getHttpService().getServerUri().getTimeout().getSeconds()).isBetween(1L, 2L);
    }

    @Test
    void theEdgeSeesTheKeyButNoClientCanChooseTheScopeItIsCheckedFor() {
        Set<String> allowed = exactNames(extAuthz.getAllowedHeaders());
        assertThat(allowed).contains("authorization", "x-api-key").doesNotContain("x-required-scope",
                "x-latchkey-resource");
        assertThat(extAuthz.getHttpService().getAuthorizationRequest().getAllowedHeaders().getPatternsList())
                .as("the deprecated list, which would add to the top-level one").isEmpty();
        assertThat(extAuthz.getHttpService().getAuthorizationRequest().getHeadersToAddList())
                .anySatisfy(header -> assertThat(header.getKey()).isIn("x-latchkey-resource", "x-required-scope"));
    }

    @Test
    void envoyAsksTheEdgeUnderTheControllersPrefixAtAClusterThatExists() {
        ExtAuthz.ServicesCase services = extAuthz.getServicesCase();
        assertThat(services).isEqualTo(ExtAuthz.ServicesCase.HTTP_SERVICE);
        assertThat(extAuthz.getHttpService().getPathPrefix()).isEqualTo(GatewayRoutes.EXT_AUTHZ);
        Set<String> clusters = bootstrap.getStaticResources().getClustersList().stream().map(Cluster::getName)
                .collect(Collectors.toSet());
        assertThat(clusters).contains(extAuthz.getHttpService().getServerUri().getCluster(), "latchkey_edge");
        assertThat(routes()).filteredOn(Route::hasRoute)
                .allSatisfy(route -> assertThat(clusters).contains(route.getRoute().getCluster()));
        assertThat(bootstrap.getStaticResources().getListeners(0).getAddress().getSocketAddress().getPortValue())
                .isEqualTo(10000);
    }

    @Test
    void theUpstreamGetsTheIdentityFromAnAllowAndTheClientGetsTheDenialAsTheEdgeWroteIt() {
        var response = extAuthz.getHttpService().getAuthorizationResponse();
        assertThat(exactNames(response.getAllowedUpstreamHeaders()))
                .containsExactlyInAnyOrder("x-latchkey-key-id", "x-latchkey-developer-id", "x-latchkey-scopes",
                        "x-latchkey-secret-valid-until");
        assertThat(response.getAllowedUpstreamHeadersToAppend().getPatternsList())
                .as("appending would keep identity headers a client sent").isEmpty();
        assertThat(exactNames(response.getAllowedClientHeaders())).contains("content-type", "cache-control",
                "www-authenticate", "retry-after", "ratelimit", "ratelimit-policy");
        assertThat(exactNames(response.getAllowedClientHeadersOnSuccess())).contains("ratelimit", "ratelimit-policy");
    }

    @Test
    void theKeyNeverReachesTheUpstreamAndUncheckedRoutesDropIdentityHeaders() {
        assertThat(routes()).filteredOn(Route::hasRoute).allSatisfy(route -> {
            if (extAuthzDisabledOn(route)) {
                assertThat(route.getRequestHeadersToRemoveList())
                        .contains("x-latchkey-key-id", "x-latchkey-developer-id", "x-latchkey-scopes",
                                "x-latchkey-secret-valid-until", "x-api-key");
            } else {
                assertThat(route.getRequestHeadersToRemoveList()).contains("authorization", "x-api-key");
            }
        });
    }

    /**
     * The route Envoy picks for a request: the first whose path matcher and header matchers all match, read as Envoy
     * documents them (a regex matches the whole path without its query; a {@code :path} header holds the query).
     */
    private static Route routeFor(String pathAndQuery, Map<String, String> headers) {
        String path = pathAndQuery.split("\\?", 2)[0];
        Map<String, String> all = new HashMap<>(headers);
        all.put(":path", pathAndQuery);
        return routes().stream().filter(route -> {
            var match = route.getMatch();
            boolean pathMatches = switch (match.getPathSpecifierCase()) {
                case PREFIX -> path.startsWith(match.getPrefix());
                case PATH_SEPARATED_PREFIX -> path.equals(match.getPathSeparatedPrefix())
                        || path.startsWith(match.getPathSeparatedPrefix() + "/");
                case SAFE_REGEX -> Pattern.compile(match.getSafeRegex().getRegex()).matcher(path).matches();
                default -> throw new AssertionError("a path matcher this test does not read: " + match);
            };
            return pathMatches && match.getHeadersList().stream().allMatch(header -> {
                String value = all.get(header.getName());
                return value != null && Pattern.compile(header.getStringMatch().getSafeRegex().getRegex())
                        .matcher(value).matches();
            });
        }).findFirst().orElseThrow(() -> new AssertionError("no route for " + pathAndQuery));
    }

    private static String refusal(Route route) {
        return route.hasDirectResponse() ? route.getDirectResponse().getBody().getInlineString() : null;
    }

    @Test
    void pathsAnUpstreamCouldRouteElsewhereAndKeysInUncheckedUrlsAreRefusedUncheckedKeysNeverForwarded() {
        String key = "lk_live_" + "aB3".repeat(16) + "c";
        for (String path : List.of("/public/..;/orders/1", "/orders/..;/x")) {
            assertThat(refusal(routeFor(path, Map.of()))).as(path).contains("dot segment");
        }
        for (String url : List.of("/public/x?api_key=" + key, "/public/x?k=LK_live_x", "/public/x?a=1&k=%6Ck_x",
                "/public/" + key, "/public/" + key.replace("_", "%5F"))) {
            assertThat(refusal(routeFor(url, Map.of()))).as(url).contains("key-in-query");
        }
        for (String url : List.of("/public/x?sort=bulk_price", "/public/docs/lk_intro", "/public/x")) {
            Route route = routeFor(url, Map.of());
            assertThat(route.hasRoute()).as(url).isTrue();
            assertThat(route.getRequestHeadersToRemoveList()).as(url).doesNotContain("authorization");
        }
        String basicKey = "Basic " + java.util.Base64.getEncoder().encodeToString((key + ":").getBytes());
        for (String credential : List.of("Bearer " + key, "bearer " + key, basicKey)) {
            assertThat(routeFor("/public/x", Map.of("authorization", credential)).getRequestHeadersToRemoveList())
                    .as(credential).contains("authorization", "x-api-key");
        }
        assertThat(routeFor("/public/x", Map.of("authorization", "Bearer not-a-latchkey-token"))
                .getRequestHeadersToRemoveList()).doesNotContain("authorization");
        assertThat(extAuthzDisabledOn(routeFor("/orders/1?api_key=" + key, Map.of()))).as("the edge refuses it")
                .isFalse();
    }

    @Test
    void theRuntimeTakesTheKeyMatchersRegexPrograms() {
        // Envoy refuses a regex whose RE2 program is larger than this (100 by default); the key matchers' are 636.
        var layer = bootstrap.getLayeredRuntime().getLayersList().stream().filter(l -> l.hasStaticLayer()).findFirst()
                .orElseThrow(() -> new AssertionError("no static runtime layer"));
        assertThat(layer.getStaticLayer().getFieldsMap().get("re2.max_program_size.error_level").getNumberValue())
                .isGreaterThanOrEqualTo(1000);
    }

    @Test
    void theProtectedRouteTakesTheCollectionItselfAndWhatIsUnderItButNoNeighbour() {
        assertThat(routes()).filteredOn(route -> !extAuthzDisabledOn(route)).singleElement()
                .satisfies(route -> assertThat(route.getMatch().getPathSeparatedPrefix())
                        .as("/orders and /orders/…, where a prefix of /orders/ leaves POST /orders without a route")
                        .isEqualTo("/orders"));
    }

    @Test
    void pathsAreNormalisedBeforeTheEdgeIsAskedAboutThem() {
        assertThat(manager.hasNormalizePath() && manager.getNormalizePath().getValue()).isTrue();
        assertThat(manager.getMergeSlashes()).isTrue();
        // An identity header spelt with underscores is none the edge's answer replaces, but CGI reads it as one.
        assertThat(manager.getCommonHttpProtocolOptions().getHeadersWithUnderscoresAction())
                .isEqualTo(HttpProtocolOptions.HeadersWithUnderscoresAction.REJECT_REQUEST);
        assertThat(manager.getPathWithEscapedSlashesAction()).isEqualTo(PathWithEscapedSlashesAction.REJECT_REQUEST);
    }
}
