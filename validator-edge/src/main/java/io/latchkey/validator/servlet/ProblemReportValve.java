package io.latchkey.validator.servlet;

import java.io.IOException;
import java.io.Writer;
import java.util.function.Predicate;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's answer to a request it refuses before the application sees it (headers or a URI too large, a character a
 * URI may not hold, a request that is not HTTP) as a problem, like every other answer of the services, instead of
 * Tomcat's HTML page, which a gateway would hand its client, and without Tomcat's log line that repeats what was sent.
 * Made by the host by name, so public with a public constructor.
 */
public final class ProblemReportValve extends ErrorReportValve {

    /**
     * Makes this the error report valve of the context's host, as a Tomcat context customizer. Spring Boot puts a plain
     * error report valve on the host too; this one sits behind it, so reports first, and the plain one then finds the
     * error reported.
     */
    public static void install(Context context) {
        install(context, ContainerLogs.NONE);
    }

    /** As {@link #install(Context)}, with credentials of the service's own that Tomcat's log must not show either. */
    public static void install(Context context, Predicate<String> credentials) {
        ((StandardHost) context.getParent()).setErrorReportValveClass(ProblemReportValve.class.getName());
        // Before the server starts, and so before any request.
        ContainerLogs.protect(credentials);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        try {
            response.setContentType(HttpVerdict.PROBLEM_JSON);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(problem(status));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The connection is gone or the answer began meanwhile: nothing more can be said.
        }
    }

    /** A request HTTP allows that Tomcat does not take (an unknown transfer coding, say) is the client's to change. */
    private static String problem(int status) {
        if (status == 501 || status == 505) {
            return HttpVerdict.problemJson(status, "not-implemented",
                    "The request uses a transfer coding or HTTP version this server does not take.");
        }
        return status >= 500 ? HttpVerdict.problemJson(status, "internal", "The request failed unexpectedly.")
                : HttpVerdict.problemJson(status, "malformed-request", "The request could not be read.");
    }
}
