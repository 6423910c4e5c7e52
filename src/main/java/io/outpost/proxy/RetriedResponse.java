package io.outpost.proxy;

/**
 * The cause passed to {@link ForwardListener#onNotReached} when an attempt's response was discarded
 * because {@link ForwardListener#retryResponse} asked for a retry, or its header timeout (504) because
 * {@link ForwardListener#retryTimeout} did.
 */
public final class RetriedResponse extends Exception {

    private final int status;

    public RetriedResponse(int status) {
        super("status " + status, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
