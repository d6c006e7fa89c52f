import { names } from '@nx/devkit';

/** Options of the provider generator (schema.json). */
export interface ProviderGeneratorOptions {
  /** AWF_AUTH_PROVIDER value, lower-case kebab. */
  readonly name: string;
  /** Built-in route the credential serves (default `openai`). */
  readonly route?: string;
  /** Default audience of the GitHub token (default the name). */
  readonly audience?: string;
  readonly skipFormat?: boolean;
}

/** Every spelling of the provider's name the templates use. */
export interface ProviderNames {
  /** `acme-id`: the plugin name, folder suffix and file prefix. */
  readonly name: string;
  /** `AcmeId`: types and factories (`createAcmeIdPlugin`). */
  readonly className: string;
  /** `acmeId`: values (`acmeIdPlugin`). */
  readonly propertyName: string;
  /** `ACME_ID`: settings (`AWF_AUTH_ACME_ID_TOKEN_URL`), constants and error codes. */
  readonly constantName: string;
  /** `@keyless/providers-acme-id` */
  readonly packageName: string;
  /** `libs/providers-acme-id` */
  readonly projectRoot: string;
  readonly route: string;
  readonly audience: string;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ROUTES = ['openai', 'anthropic', 'gemini', 'vertex', 'bedrock'];

/** Validates the options (the CLI checks the schema; a programmatic call does not) into names. */
export function providerNames(options: ProviderGeneratorOptions): ProviderNames {
  const name = options.name.trim();
  if (!NAME.test(name)) {
    throw new Error(
      `provider name "${name}": use lower-case letters, digits and single dashes, e.g. "vault"`,
    );
  }
  const route = options.route ?? 'openai';
  if (!ROUTES.includes(route)) {
    throw new Error(
      `route "${route}": a provider serves one of the built-in routes ${ROUTES.join(', ')}`,
    );
  }
  const spelled = names(name);
  return {
    name,
    className: spelled.className,
    propertyName: spelled.propertyName,
    constantName: spelled.constantName,
    packageName: `@keyless/providers-${name}`,
    projectRoot: `libs/providers-${name}`,
    route,
    audience: options.audience ?? name,
  };
}
