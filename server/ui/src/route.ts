import { useEffect, useState } from 'preact/hooks';

/** The dashboard's pages, addressed by the URL's hash (the server serves one index.html). */
export type Route =
  | { readonly page: 'machines' }
  | { readonly page: 'machine'; readonly mac: string }
  | { readonly page: 'images' }
  | { readonly page: 'image'; readonly name: string }
  | { readonly page: 'sessions' }
  | { readonly page: 'session'; readonly id: number }
  | { readonly page: 'deploy' }
  | { readonly page: 'recovery' }
  | { readonly page: 'accounts' }
  | { readonly page: 'audit' }
  | { readonly page: 'login' };

export function parseRoute(hash: string): Route {
  const [, page = '', arg] = hash.replace(/^#/, '').split('/');
  const param = arg === undefined ? '' : decodeURIComponent(arg);
  switch (page) {
    case 'machines': return param ? { page: 'machine', mac: param } : { page: 'machines' };
    case 'images': return param ? { page: 'image', name: param } : { page: 'images' };
    case 'sessions': return /^\d+$/.test(param) ? { page: 'session', id: Number(param) } : { page: 'sessions' };
    case 'deploy': return { page: 'deploy' };
    case 'recovery': return { page: 'recovery' };
    case 'accounts': return { page: 'accounts' };
    case 'audit': return { page: 'audit' };
    case 'login': return { page: 'login' };
    default: return { page: 'machines' };
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    // The hash may have changed between the first render and now (a fast 401 sends to #/login).
    onChange();
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(route: Route): string {
  switch (route.page) {
    case 'machine': return `#/machines/${encodeURIComponent(route.mac)}`;
    case 'image': return `#/images/${encodeURIComponent(route.name)}`;
    case 'session': return `#/sessions/${route.id}`;
    default: return `#/${route.page}`;
  }
}
