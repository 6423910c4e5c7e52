package io.outpost.proxy;

import io.netty.handler.codec.http.HttpRequest;

/**
 * A request the gateway refused before it became an exchange (a malformed head, a bad {@code Host},
 * an unsupported transfer coding), as its access-log line tells it. Whatever the head did not
 * yield is empty: a request line that could not be parsed leaves method, path and request id empty.
 */
record RejectedRequest(String requestId, String clientIp, String method, String host, String path, String uri,
                       int status, long responseBytes) implements AccessLog.Entry {

    /** {@code info}: the routing view of the target, null when it could not be read. */
    static RejectedRequest of(HttpRequest request, RequestInfo info, String clientIp, int status, long responseBytes) {
        if (!request.decoderResult().isSuccess()) {
            return new RejectedRequest("", clientIp, "", "", "", "", status, responseBytes);
        }
        String uri = request.uri();
        String path;
        if (info != null) {
            path = info.path();
        } else {
            int q = uri.indexOf('?');
            path = q < 0 ? uri : uri.substring(0, q);
        }
        String requestId = request.headers().get(ProxyHeaders.X_REQUEST_ID);
        return new RejectedRequest(requestId == null ? "" : requestId, clientIp, request.method().name(),
                info == null ? "" : info.host(), path, uri, status, responseBytes);
    }

    @Override
    public long requestBytes() {
        return 0;
    }

    @Override
    public String routerName() {
        return "";
    }

    @Override
    public String serviceName() {
        return "";
    }

    @Override
    public String upstream() {
        return "";
    }
}
