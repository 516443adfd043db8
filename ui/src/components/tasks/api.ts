import { useQuery } from "@tanstack/react-query";

import { ApiError, problem, unwrap, type Api, type Task } from "../../api/client";
import type { components } from "../../api/schema";
import { useNamespace } from "../../lib/namespace";
import { useSession } from "../../lib/session";

export type Execution = components["schemas"]["Execution"];
export type ExecutionStatus = Execution["status"];

/** taskPath is the UI path of a task's page. */
export function taskPath(name: string, suffix = ""): string {
  return `/tasks/${encodeURIComponent(name)}${suffix}`;
}

/** executionPath is the UI path of an execution's page. */
export function executionPath(id: string): string {
  return `/executions/${encodeURIComponent(id)}`;
}

export interface TaskRead {
  task: Task;
  /** The ETag get-task answered with (the version), for If-Match. */
  etag: string;
}

/** getTask reads a task and its ETag (get-task); a task without an ETag header gets one from its version. */
export async function getTask(api: Api, namespace: string, name: string): Promise<TaskRead> {
  const { data, error, response } = await api.GET("/api/v1/tasks/{name}", {
    params: { path: { name }, query: { namespace } },
  });
  if (!response.ok || !data) throw new ApiError(problem(error, response.status));
  return { task: data, etag: response.headers.get("ETag") ?? `"${data.version}"` };
}

export const taskKey = (namespace: string, name: string) => ["task", namespace, name] as const;

/** useTask reads a task of the current namespace by name. */
export function useTask(name: string) {
  const { api } = useSession();
  const { namespace } = useNamespace();
  return useQuery({
    queryKey: taskKey(namespace, name),
    queryFn: () => getTask(api, namespace, name),
    enabled: namespace !== "" && name !== "",
  });
}

/** usePlugins lists the executors of the namespace (list-plugins, built-ins included). */
export function usePlugins() {
  const { api } = useSession();
  const { namespace } = useNamespace();
  return useQuery({
    queryKey: ["plugins", namespace],
    queryFn: () => unwrap(api.GET("/api/v1/plugins", { params: { query: { namespace } } })),
    staleTime: 60_000,
    enabled: namespace !== "",
  });
}

/** usePlugin reads one plugin with its config schema (get-plugin). */
export function usePlugin(name: string) {
  const { api } = useSession();
  const { namespace } = useNamespace();
  return useQuery({
    queryKey: ["plugin", namespace, name],
    queryFn: () => unwrap(api.GET("/api/v1/plugins/{name}", { params: { path: { name }, query: { namespace } } })),
    staleTime: 60_000,
    enabled: namespace !== "" && /^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$/.test(name),
  });
}

/** The execution statuses that are over. */
export const finished: ExecutionStatus[] = ["succeeded", "failed", "timed_out", "canceled", "skipped", "interrupted"];
