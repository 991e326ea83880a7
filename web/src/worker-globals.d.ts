// The page shares stage code with the Worker, whose types name the Workers AI binding. The page never has one
// (a hosted-VLM grounder is not offered to it: GET /v1/vision/manifest), so the name is only declared here.
type Ai = { run(model: string, inputs: unknown, options?: unknown): Promise<unknown> };
