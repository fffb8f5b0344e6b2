/**
 * protocol/: the wire contract of protocol version 1 (docs/protocol.md):
 * operation codes and shapes, MessagePack framing, topic name rules. Pure;
 * shared by the broker and the client SDK, so it imports nothing but
 * errors/ and msgpackr.
 */
export * from './ops.js';
export * from './admin-ops.js';
export { encodeValue, decodeValue, encodeFrame, decodeFrame } from './codec.js';
export { FrameBuilder } from './frame-builder.js';
export { EncodedStrings, appendMapEntry, binHeaderBytes, encodeMessageOp } from './msgpack-write.js';
export { MessageTailEncoder, isOrderedTail, type OrderedTail } from './message-tail.js';
export { visitFrame } from './message-decoder.js';
export type { FrameVisitor } from './message-decoder.js';
export { topicNameError, topicPatternError, isBrokerTopic, INBOX_ROOT, INBOX_PREFIX, INBOX_SUB_ID, MAX_TOPIC_LENGTH } from './topic-names.js';
export {
  requestIdOf, checkHello, checkPublish, checkSubscribe, checkUnsubscribe, checkRequestOnly, MAX_ID,
} from './validate-op.js';
export type { HelloOp, PublishOp, SubscribeOp, UnsubscribeOp } from './validate-op.js';
export { MAX_PREFETCH } from './validate-op.js';
export {
  checkSend, checkConsume, checkSettle, checkAckPublish, checkQueueOp, MAX_ACK_PUBLISH_OUTPUTS, MAX_DELAY_MS, MAX_EXTEND_MS, MAX_SETTLE_IDS,
} from './validate-queue-ops.js';
export { checkUserOp, checkAclOp, checkTokenOp, USER_ACTIONS, ACL_ACTIONS } from './validate-security-ops.js';
export { checkAdminOp, MAX_ADMIN_STRING } from './validate-admin-op.js';
export type { AdminOp } from './validate-admin-op.js';
export type { UserOp, AclOp, TokenOp, UserAction, AclAction } from './validate-security-ops.js';
export type {
  AckPublishOp, AckPublishOutput, SendOp, ConsumeOp, SettleOp, SettleName, QueueOp, DeliveryTag,
} from './validate-queue-ops.js';
