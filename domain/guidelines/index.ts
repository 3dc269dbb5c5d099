/** Clinical guidelines as versioned data: schema and selection (types), answers and evaluation. */
export * from './types';
export * from './evaluate';
