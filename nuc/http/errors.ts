/** The JSON every NUC route answers a refusal with: the shape of Fastify's own validation errors. */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';

/** ErrorReply as a response schema. */
export const ErrorReplySchema = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String({ description: 'the status in words, e.g. `Not Found`' }),
  message: Type.String({ description: 'what was wrong, for a person to read' }),
});

export interface ErrorReply {
  statusCode: number;
  /** the status in words, e.g. `Not Found` */
  error: string;
  /** what was wrong, for a person to read */
  message: string;
}

export function sendError(reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  const body: ErrorReply = { statusCode, error, message };
  return reply.code(statusCode).send(body);
}
