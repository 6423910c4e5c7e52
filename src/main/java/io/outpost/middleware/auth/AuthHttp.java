package io.outpost.middleware.auth;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The one JDK HTTP client that JWKS fetches share. A client owns a selector
 * thread, so one per process rather than one per configuration snapshot; its calls are asynchronous
 * and never run on an event loop.
 */
final class AuthHttp {

    private AuthHttp() {
    }

    private static final class Holder {
        static final HttpClient CLIENT = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    static HttpClient client() {
        return Holder.CLIENT;
    }
}
