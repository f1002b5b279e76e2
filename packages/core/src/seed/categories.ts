/**
 * The fixed category tree of the shop: top-level departments and their subcategories.
 * Category ids are positions in this list (1-based), parents before children.
 */

const TREE: readonly (readonly [string, readonly string[]])[] = [
  ['Electronics', ['Phones', 'Laptops', 'Tablets', 'Headphones', 'Cameras', 'Smart Home']],
  ['Computers & Accessories', ['Monitors', 'Keyboards & Mice', 'Storage', 'Networking', 'Printers']],
  ['Home & Kitchen', ['Cookware', 'Small Appliances', 'Furniture', 'Bedding', 'Home Decor', 'Lighting']],
  ['Clothing', ["Men's Clothing", "Women's Clothing", "Kids' Clothing", 'Shoes', 'Accessories']],
  ['Sports & Outdoors', ['Fitness', 'Camping & Hiking', 'Cycling', 'Team Sports', 'Water Sports']],
  ['Beauty & Health', ['Skin Care', 'Hair Care', 'Fragrances', 'Vitamins & Supplements']],
  ['Books & Media', ['Fiction', 'Non-Fiction', "Children's Books", 'Music', 'Movies']],
  ['Toys & Games', ['Board Games', 'Puzzles', 'Building Sets', 'Dolls & Figures']],
  ['Grocery', ['Coffee & Tea', 'Snacks', 'Pantry Staples', 'Beverages']],
  ['Garden & Tools', ['Power Tools', 'Hand Tools', 'Gardening', 'Outdoor Furniture']],
];

export interface CategoryRow {
  readonly categoryId: number;
  readonly name: string;
  readonly parentCategoryId: number | null;
}

function build(): CategoryRow[] {
  const rows: CategoryRow[] = TREE.map(([name], i) => ({ categoryId: i + 1, name, parentCategoryId: null }));
  TREE.forEach(([, children], parentIndex) => {
    for (const name of children) rows.push({ categoryId: rows.length + 1, name, parentCategoryId: parentIndex + 1 });
  });
  return rows;
}

export const CATEGORIES: readonly CategoryRow[] = build();

/** Products belong to subcategories (leaves), never to a department directly. */
export const LEAF_CATEGORY_IDS: readonly number[] = CATEGORIES.filter((c) => c.parentCategoryId !== null).map(
  (c) => c.categoryId,
);
