export { startHttpStub, SLIRP_HOST, type HttpStub, type HttpStubOptions } from './http-stub.ts';
export { defaultChainRoutes, serveDirRoutes, matchRoute, resolveInside, validateRoutes, type RouteDef } from './routes.ts';
export { renderTemplate, type TemplateContext } from './template.ts';
