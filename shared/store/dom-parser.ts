/**
 * @aws-sdk/client-s3's browser build (the one bundled for Workers) parses XML bodies, including every error
 * response and ListObjectsV2, with DOMParser, which workerd lacks: without this, a missing key surfaces as
 * "ReferenceError: DOMParser is not defined" (aws/aws-sdk-js-v3#7375, cloudflare/workers-sdk#10755). Node's SDK build does
 * not need it, and a global `Node` there could mislead DOM detection, so nothing is installed outside Workers.
 */
let installing: Promise<void> | undefined;

export function ensureDomParser(): Promise<void> {
  const g = globalThis as Record<string, unknown> & { navigator?: { userAgent?: string } };
  if (typeof g.DOMParser !== 'undefined' || g.navigator?.userAgent !== 'Cloudflare-Workers') return Promise.resolve();
  return (installing ??= import('@xmldom/xmldom').then(({ DOMParser }) => {
    g.DOMParser ??= DOMParser;
    g.Node ??= { ELEMENT_NODE: 1, TEXT_NODE: 3 }; // the SDK's parser compares nodeType with these
  }));
}
