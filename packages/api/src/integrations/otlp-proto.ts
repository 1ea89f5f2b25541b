import { Root, type Type } from 'protobufjs/light';

/**
 * The part of the OTLP trace protocol Purser reads, as a protobufjs descriptor (field numbers
 * of opentelemetry-proto v1: `collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`,
 * `common/v1/common.proto`, `resource/v1/resource.proto`; Apache-2.0). Fields left out here
 * (events, links, scope, trace state…) are skipped by the decoder, as protobuf allows.
 * `google.rpc.Status` is the body of an OTLP/HTTP error answer.
 */
const DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
        },
        ExportTraceServiceResponse: {
          fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } },
        },
        ExportTracePartialSuccess: {
          fields: {
            rejectedSpans: { type: 'int64', id: 1 },
            errorMessage: { type: 'string', id: 2 },
          },
        },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
          },
        },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        ScopeSpans: { fields: { spans: { rule: 'repeated', type: 'Span', id: 2 } } },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            name: { type: 'string', id: 5 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            status: { type: 'Status', id: 15 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        KeyValue: {
          fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } },
        },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        RpcStatus: {
          fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

const root = Root.fromJSON(DESCRIPTOR);
const REQUEST: Type = root.lookupType('otlp.ExportTraceServiceRequest');
const RESPONSE: Type = root.lookupType('otlp.ExportTraceServiceResponse');
const RPC_STATUS: Type = root.lookupType('otlp.RpcStatus');

/** An OTLP AnyValue as decoded: one of its fields set (64-bit ints as a `Long` or a number). */
export interface ProtoAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: { toString(): string } | number;
  doubleValue?: number;
  arrayValue?: unknown;
  kvlistValue?: unknown;
  bytesValue?: Uint8Array;
}

export interface ProtoKeyValue {
  key?: string;
  value?: ProtoAnyValue | null;
}

export interface ProtoSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  name?: string;
  startTimeUnixNano?: { toString(): string } | number;
  endTimeUnixNano?: { toString(): string } | number;
  attributes?: ProtoKeyValue[];
  status?: { code?: number; message?: string } | null;
}

export interface ProtoTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: ProtoKeyValue[] } | null;
    scopeSpans?: { spans?: ProtoSpan[] }[];
  }[];
}

/** Decodes an `ExportTraceServiceRequest`; throws (protobufjs' error) on malformed bytes. */
export function decodeTraceRequest(bytes: Uint8Array): ProtoTraceRequest {
  return REQUEST.decode(bytes) as unknown as ProtoTraceRequest;
}

/** Encodes an `ExportTraceServiceResponse`; `partialSuccess` only when a span was rejected. */
export function encodeTraceResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const message =
    rejectedSpans > 0 || errorMessage !== ''
      ? { partialSuccess: { rejectedSpans, errorMessage } }
      : {};
  return RESPONSE.encode(RESPONSE.fromObject(message)).finish();
}

/** Encodes a `google.rpc.Status`, the body of an OTLP/HTTP error answer in protobuf. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RPC_STATUS.encode(RPC_STATUS.fromObject({ code, message })).finish();
}

/** Decodes a `google.rpc.Status` (tests read error answers with it). */
export function decodeRpcStatus(bytes: Uint8Array): { code: number; message: string } {
  const status = RPC_STATUS.toObject(RPC_STATUS.decode(bytes), { defaults: true });
  return { code: Number(status.code), message: String(status.message) };
}

/** Decodes an `ExportTraceServiceResponse` (tests read answers with it). */
export function decodeTraceResponse(bytes: Uint8Array): {
  partialSuccess?: { rejectedSpans: string; errorMessage: string };
} {
  return RESPONSE.toObject(RESPONSE.decode(bytes), { longs: String, defaults: false }) as {
    partialSuccess?: { rejectedSpans: string; errorMessage: string };
  };
}
