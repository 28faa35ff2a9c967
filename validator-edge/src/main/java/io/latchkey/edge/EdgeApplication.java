package io.latchkey.edge;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

@SpringBootApplication
public class EdgeApplication {

    public static void main(String[] args) {
        // "edge.yml", not "application.yml": this jar is also a library on other services' classpaths.
        try {
            new SpringApplicationBuilder(EdgeApplication.class).properties("spring.config.name=edge").run(args);
        } catch (RuntimeException failed) {
            // Logged by Spring Boot; threads a half-started context leaves behind would keep the process up for good.
            System.exit(1);
        }
    }
}
