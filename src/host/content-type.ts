// AddDefaultCharset, as Apache's ap_make_content_type applies it to every response:
// a type that contains text/plain or text/html (any case, anywhere) and no charset= gets
// the default charset appended.

const NEEDS_CHARSET = /text\/plain|text\/html/i;
const HAS_CHARSET = /charset=/i;

export function withDefaultCharset(type: string, charset: string | null | undefined): string {
  if (!charset || HAS_CHARSET.test(type) || !NEEDS_CHARSET.test(type)) return type;
  return `${type}; charset=${charset}`;
}
