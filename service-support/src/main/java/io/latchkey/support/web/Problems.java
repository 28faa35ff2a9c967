package io.latchkey.support.web;

import io.latchkey.validator.servlet.HttpVerdict;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;

/** RFC 9457 problem details with Latchkey's problem type URIs. */
public final class Problems {

    public static final String TYPE_BASE = "https://latchkey.io/problems/";
    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    public static ProblemDetail of(int status, String slug, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(status), detail);
        problem.setType(URI.create(TYPE_BASE + slug));
        problem.setTitle(title);
        return problem;
    }

    /**
     * For filters, which answer before Spring MVC's message converters are involved: as UTF-8 bytes, so that the
     * container does not declare its default charset for JSON, which has none but UTF-8.
     */
    static void write(HttpServletResponse response, int status, String slug, String title, String detail)
            throws IOException {
        HttpVerdict.write(response, status, MEDIA_TYPE, "{\"type\":\"" + TYPE_BASE + slug + "\",\"title\":\"" + title
                + "\",\"status\":" + status + ",\"detail\":\"" + detail.replace("\"", "'") + "\"}");
    }
}
