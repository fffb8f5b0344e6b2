/**
 * Room a publish frame needs besides its payload (operation header, topic,
 * headers, replyTo): the payload limit announced in the welcome is the frame
 * limit less this.
 */
export const FRAME_OVERHEAD_BYTES = 2048;

/** The largest payload a publish may carry under a frame limit of `maxFrameBytes`. */
export function maxPayloadBytes(maxFrameBytes: number): number {
  return maxFrameBytes - FRAME_OVERHEAD_BYTES;
}
