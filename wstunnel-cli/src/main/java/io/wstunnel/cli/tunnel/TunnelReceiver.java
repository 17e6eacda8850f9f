package io.wstunnel.cli.tunnel;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.Settings;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound wstunnel.v2 messages, on the WebSocket's sequential listener thread: decodes them, maps
 * protocol errors (stream-level: reset that stream; connection-level: GOAWAY and the code's close
 * code) and routes frames to their stream or to the session. Holds no state and takes no lock: the
 * session admits each frame under its monitor, and streams are called outside it.
 */
final class TunnelReceiver {
    private static final Logger log = LoggerFactory.getLogger(TunnelSession.class);

    private final TunnelSession session;
    private final Settings local;

    TunnelReceiver(TunnelSession session, Settings local) {
        this.session = session;
        this.local = local;
    }

    void received(ByteBuffer message) {
        boolean open = message.hasRemaining() && (message.get(message.position()) & 0xFF) == FrameType.OPEN.code();
        try {
            try {
                dispatch(FrameCodec.decode(message, local));
            } catch (ProtocolException e) {
                if (!e.streamLevel()) {
                    throw e;
                }
                log.debug("Stream {} error: {}", e.streamId(), e.getMessage());
                session.streamError(e, open); // open: decoding failed, dispatch never saw it
            }
        } catch (ProtocolException e) {
            session.connectionError(e.code(), e.code().closeCode(), e.getMessage());
        }
    }

    void textReceived() {
        session.connectionError(ErrorCode.PROTOCOL_ERROR, 1003, "text message on the tunnel");
    }

    void messageTooBig(long size) {
        session.connectionError(ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_TOO_LARGE.closeCode(),
                "message of at least " + size + " bytes exceeds " + local.maxFrameSize());
    }

    private void dispatch(Frame frame) {
        if (log.isDebugEnabled()) {
            log.debug("<- {} stream {}", frame.type(), frame.streamId());
        }
        if (frame instanceof Frame.Hello h) {
            session.hello(h);
            return;
        }
        TunnelSession.Admitted admitted = session.admit(frame);
        if (admitted == null) {
            return; // the session is closing
        }
        TunnelStream stream = admitted.stream();
        if (frame instanceof Frame.Open o) {
            session.open(o);
        } else if (frame instanceof Frame.Data d) {
            if (stream != null) {
                stream.receiveData(d);
            }
        } else if (frame instanceof Frame.WindowUpdate w) {
            if (stream != null) {
                stream.receiveCredit(w.increment());
            }
        } else if (frame instanceof Frame.Reset r) {
            if (stream != null) {
                log.debug("Stream {} reset by server: {} {}", r.streamId(), r.code(), r.reason());
                stream.abort(r.code(), r.reason(), false);
            }
        } else if (frame instanceof Frame.Reply r) {
            // The agent opens no streams in this version: a REPLY can only be for a stream it never opened.
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, r.streamId(), "REPLY for a stream the agent did not open");
        } else if (frame instanceof Frame.GoAway g) {
            session.goAway(g);
        }
    }
}
