import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'convene:public';

/** Marks a route as reachable without credentials; every other route states its guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
