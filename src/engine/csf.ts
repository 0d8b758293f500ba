import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import type { CsfFunction } from './types.js';

type CatalogueFile = {
  functions: {
    id: CsfFunction;
    title: string;
    description: string;
    categories: { id: string; title: string; statement: string; subcategories: { id: string; statement: string }[] }[];
  }[];
};

/** The NIST CSF 2.0 catalogue vendored in data/csf-2.0.json (see data/PROVENANCE.md). */
export type CsfCatalogue = {
  functions: { id: CsfFunction; title: string; description: string }[];
  categories: Map<string, { title: string; function: CsfFunction }>;
  subcategories: Map<string, { statement: string; category: string }>;
};

export const loadCsfCatalogue = (): CsfCatalogue => {
  const file = JSON.parse(readFileSync(path.join(packageRoot, 'data', 'csf-2.0.json'), 'utf8')) as CatalogueFile;
  const categories = new Map<string, { title: string; function: CsfFunction }>();
  const subcategories = new Map<string, { statement: string; category: string }>();
  for (const fn of file.functions) {
    for (const category of fn.categories) {
      categories.set(category.id, { title: category.title, function: fn.id });
      for (const sub of category.subcategories) subcategories.set(sub.id, { statement: sub.statement, category: category.id });
    }
  }
  return {
    functions: file.functions.map(({ id, title, description }) => ({ id, title, description })),
    categories,
    subcategories,
  };
};

/** The CSF category of a subcategory id: PR.AA-05 → PR.AA. */
export const categoryOf = (subcategory: string): string => subcategory.split('-')[0] as string;
export const functionOf = (subcategory: string): CsfFunction => subcategory.split('.')[0] as CsfFunction;
