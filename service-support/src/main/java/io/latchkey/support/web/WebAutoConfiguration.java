package io.latchkey.support.web;

import io.latchkey.support.security.CredentialScreen;
import io.latchkey.validator.servlet.ProblemReportValve;
import java.util.List;
import org.axonframework.messaging.correlation.CorrelationDataProvider;
import org.axonframework.messaging.correlation.MessageOriginProvider;
import org.axonframework.messaging.correlation.SimpleCorrelationDataProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.MethodParameter;
import org.springframework.core.Ordered;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Problem details for every error, {@link RequestContext} as a controller parameter, and the correlation data that
 * copies a command's actor, request ids (the service's and the client's) and source address into every event it causes.
 * Before Spring MVC's own configuration, so that its problem-details handler sees {@link ProblemAdvice} and leaves the
 * answers to it.
 */
@AutoConfiguration(before = WebMvcAutoConfiguration.class)
@Import(ProblemAdvice.class)
public class WebAutoConfiguration {

    @Bean
    CorrelationDataProvider auditMetadataProvider() {
        return new SimpleCorrelationDataProvider(
                RequestContext.ACTOR, RequestContext.REQUEST_ID, RequestContext.CLIENT_REQUEST_ID,
                RequestContext.SOURCE_ADDRESS);
    }

    /** Declared because defining any provider makes Axon drop its default one. */
    @Bean
    CorrelationDataProvider messageOriginProvider() {
        return new MessageOriginProvider();
    }

    /**
     * Tomcat's own refusals (a character a URI may not hold, headers too large) as problems, not HTML pages, and its
     * log kept free of keys and of this service's tokens.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemReports(CredentialScreen screen) {
        return factory -> factory.addContextCustomizers(context -> ProblemReportValve.install(context,
                screen::appearsIn));
    }

    /** First of all filters, so that no log line or answer repeats a URL holding a key outside {@code /v1/}. */
    @Bean
    FilterRegistrationBean<KeyInUrlFilter> keyInUrlFilter(CredentialScreen screen) {
        FilterRegistrationBean<KeyInUrlFilter> registration = new FilterRegistrationBean<>(new KeyInUrlFilter(screen));
        registration.addUrlPatterns("/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    @Bean
    WebMvcConfigurer requestContextResolver() {
        return new WebMvcConfigurer() {
            /** Request bodies are read strictly ({@link RequestBodies}); Axon's events keep the lenient mapper. */
            @Override
            public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
                for (int i = 0; i < converters.size(); i++) {
                    if (converters.get(i) instanceof MappingJackson2HttpMessageConverter json) {
                        converters.add(i, new RequestBodies.StrictReader(json.getObjectMapper()));
                        return;
                    }
                }
            }

            @Override
            public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
                resolvers.add(new HandlerMethodArgumentResolver() {
                    @Override
                    public boolean supportsParameter(MethodParameter parameter) {
                        return parameter.getParameterType() == RequestContext.class;
                    }

                    @Override
                    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav,
                                                  NativeWebRequest request, WebDataBinderFactory binders) {
                        return request.getAttribute(RequestContext.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
                    }
                });
            }
        };
    }
}
