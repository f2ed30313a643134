package org.zbig.wire.netty;

import org.zbig.wire.Message;

/**
 * A message whose frame was steered ({@link FrameDecoder.Steering}): decoded from the frame's bytes
 * outside the target's range, as patched by the steering; the range's bytes are in the target's
 * memory.
 *
 * @param message the message
 * @param target where the range went
 */
public record Steered(Message message, FrameDecoder.Target target) {}
