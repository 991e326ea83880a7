/**
 * The media type of a Content-Type value: its essence (RFC 9110 §8.3.1, `type/subtype`, which is
 * case-insensitive) in lower case, parameters such as `charset` or `boundary` dropped. Undefined when
 * there is no header; the empty string when the header is empty.
 */
export function mediaType(contentType: string | null | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase();
}
