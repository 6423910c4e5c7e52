package io.outpost.config;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Checks the URLs the gateway itself calls (forwardAuth, JWKS, an ACME directory): http(s), a host, a
 * port in range, and no user name or password, which would never be sent and would be shown by
 * {@code /api/config}. Messages never repeat a password.
 */
final class HttpUrls {

    private HttpUrls() {}

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a message fit for a configuration error
     */
    static URI parse(String text, String expected) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("\"" + text.replaceFirst("//[^/@]*@", "//***@") + "\" is not an http(s) URL"
                    + expected);
        }
        if (uri.getRawUserInfo() != null) {
            String shown = text.replace(uri.getRawUserInfo() + "@", "***@");
            throw new IllegalArgumentException("\"" + shown + "\" holds a user name or password, which the gateway does not "
                    + "send (expected: scheme://host[:port]/path)");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("\"" + text + "\" is not an http(s) URL" + expected);
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new IllegalArgumentException("\"" + text + "\" has a port out of range (expected: 1-65535)");
        }
        return uri;
    }
}
