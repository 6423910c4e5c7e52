package io.outpost.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * {@code GET /dashboard}: one static page that reads {@code /api/routers}, {@code /api/services},
 * {@code /api/entrypoints} and {@code /ready} from the browser and refreshes itself. It loads nothing
 * from elsewhere, since the admin server may run on a box without internet access.
 *
 * <p>The page holds no data, so it is served without the bearer token; the API calls it makes send
 * the token the operator typed in, kept in the tab's {@code sessionStorage}.
 */
final class Dashboard implements AdminHandler {

    static final String CONTENT_TYPE = "text/html; charset=utf-8";

    private final byte[] page;
    private final String contentSecurityPolicy;

    private Dashboard(String html) {
        this.page = html.getBytes(StandardCharsets.UTF_8);
        // The page's one <script> and one <style> are allowed by their SHA-256 and nothing else inline is:
        // unlike 'unsafe-inline', this keeps any markup that found its way into the page from running, and
        // the hashes are computed here from the resource, so they cannot fall out of step with it.
        // Everything else (fetch included) is same-origin only; the page cannot be framed or post a form.
        this.contentSecurityPolicy = "default-src 'self'; script-src '" + hash(inline(html, "script"))
                + "'; style-src '" + hash(inline(html, "style"))
                + "'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    static Dashboard load() {
        try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
            if (in == null) {
                throw new IllegalStateException("dashboard.html is missing from the classpath");
            }
            return new Dashboard(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("dashboard.html cannot be read", e);
        }
    }

    @Override
    public AdminResponse handle(String method, List<String> params, byte[] body) {
        return new AdminResponse(200, CONTENT_TYPE, page)
                .withHeader("Cache-Control", "no-store")
                .withHeader("Content-Security-Policy", contentSecurityPolicy)
                .withHeader("X-Content-Type-Options", "nosniff")
                .withHeader("Referrer-Policy", "no-referrer");
    }

    /** {@code GET /}: 302 to the dashboard. */
    static AdminResponse redirect(String method, List<String> params, byte[] body) {
        return AdminResponse.text(302, "text/plain; charset=utf-8", "see /dashboard\n")
                .withHeader("Location", "/dashboard")
                .withHeader("Cache-Control", "no-store");
    }

    /** The text of the page's one {@code <tag>} element, exactly as the browser hashes it. */
    static String inline(String html, String tag) {
        String open = "<" + tag + ">";
        String close = "</" + tag + ">";
        int start = html.indexOf(open);
        int end = html.indexOf(close);
        if (start < 0 || end < start || html.indexOf(open, start + 1) >= 0) {
            throw new IllegalStateException("dashboard.html: expected exactly one " + open + " element");
        }
        return html.substring(start + open.length(), end);
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return "sha256-" + Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
