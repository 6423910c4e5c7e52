package io.outpost.admin;

import java.util.List;

/**
 * One admin endpoint. Handlers run on the admin event loop and read in-memory state only, so
 * they answer at once and never block.
 */
@FunctionalInterface
public interface AdminHandler {

    /**
     * @param method the request method
     * @param params the path segments matched by {@code {name}} placeholders, in order
     * @param body   the request body (admin requests are small and read in full)
     */
    AdminResponse handle(String method, List<String> params, byte[] body);

    /**
     * The same, told the request's {@code Accept} header (null when absent), for an endpoint that answers
     * in more than one format; the others ignore it.
     */
    default AdminResponse handle(String method, List<String> params, byte[] body, String accept) {
        return handle(method, params, body);
    }
}
