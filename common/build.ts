// The contract between the controller (producer) and the builder (BullMQ worker).


export interface BuildJobData {
  buildId: string;
  app: string;
  /** Absolute path of an uncompressed tar of the source tree (as `git archive --format=tar` makes). */
  sourceTar: string;
  /** Commit or other identifier of the source, for logs. */
  sourceVersion: string;
  /** Config vars given to bin/compile as ENV_DIR. */
  env: Record<string, string>;
  /** Ordered buildpack list (names of buildpacks/ dirs, local paths or git URLs); empty = detect. */
  buildpacks: string[];
  /** Full image reference to build and push, e.g. 127.0.0.1:5000/hello:build-<id>. */
  image: string;
}

export interface BuildJobResult {
  image: string;
  /** Image digest from the registry push, if known. */
  digest: string | null;
  /** "dockerfile" or the buildpack name that built it. */
  buildpack: string;
  /** Process type -> command. Procfile wins over bin/release default_process_types. For a
   *  Dockerfile app without a Procfile, { web: null } means "the image's own CMD". */
  processTypes: Record<string, string | null>;
  /** Buildpack-provided config defaults (bin/release config_vars). */
  configVars: Record<string, string>;
}

